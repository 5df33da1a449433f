// SPDX-License-Identifier: AGPL-3.0-or-later
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IERC1155} from "@openzeppelin/contracts/token/ERC1155/IERC1155.sol";

/// @title Element-market test double for a local chain.
/// @notice Not Element's code: there are no signatures and no order book. Each fill function
///         performs the real token movements of a filled Element order and emits the event the
///         Element proxy on BSC emits, with the exact declaration from the facts page (nothing
///         indexed, `fees` as an array of (recipient, amount), native BNB marked by
///         0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE, erc20TokenAmount including the fees).
///         Sell orders: maker = seller, taker = msg.sender = buyer.
///         Buy orders: maker = buyer (pays with an ERC-20 via transferFrom), taker = msg.sender = seller.
///         The NFT moves by safeTransferFrom, so its holder must approve this contract.
contract ElementEmitter {
    using SafeERC20 for IERC20;

    struct Fee {
        address recipient;
        uint256 amount;
    }

    /// @dev Order terms of an ERC-1155 fill (maker, NFT, amount, price, order hash, nonce).
    struct ERC1155Fill {
        address maker;
        address erc1155Token;
        uint256 erc1155TokenId;
        uint128 erc1155FillAmount;
        address erc20Token;
        uint256 erc20TokenAmount; // includes the fees
        bytes32 orderHash;
        uint256 nonce;
    }

    /// @dev Same layout as the parameters of ERC721SellOrderFilled / ERC721BuyOrderFilled.
    struct ERC721Filled {
        bytes32 orderHash;
        address maker;
        address taker;
        uint256 nonce;
        address erc20Token;
        uint256 erc20TokenAmount;
        Fee[] fees;
        address erc721Token;
        uint256 erc721TokenId;
    }

    /// @dev Same layout as the parameters of ERC1155SellOrderFilled / ERC1155BuyOrderFilled.
    struct ERC1155Filled {
        bytes32 orderHash;
        address maker;
        address taker;
        uint256 nonce;
        address erc20Token;
        uint256 erc20TokenAmount;
        Fee[] fees;
        address erc1155Token;
        uint256 erc1155TokenId;
        uint128 erc1155FillAmount;
    }

    address public constant NATIVE_TOKEN = 0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE;

    event ERC721SellOrderFilled(
        bytes32 orderHash,
        address maker,
        address taker,
        uint256 nonce,
        address erc20Token,
        uint256 erc20TokenAmount,
        Fee[] fees,
        address erc721Token,
        uint256 erc721TokenId
    );

    event ERC721BuyOrderFilled(
        bytes32 orderHash,
        address maker,
        address taker,
        uint256 nonce,
        address erc20Token,
        uint256 erc20TokenAmount,
        Fee[] fees,
        address erc721Token,
        uint256 erc721TokenId
    );

    event ERC1155SellOrderFilled(
        bytes32 orderHash,
        address maker,
        address taker,
        uint256 nonce,
        address erc20Token,
        uint256 erc20TokenAmount,
        Fee[] fees,
        address erc1155Token,
        uint256 erc1155TokenId,
        uint128 erc1155FillAmount
    );

    event ERC1155BuyOrderFilled(
        bytes32 orderHash,
        address maker,
        address taker,
        uint256 nonce,
        address erc20Token,
        uint256 erc20TokenAmount,
        Fee[] fees,
        address erc1155Token,
        uint256 erc1155TokenId,
        uint128 erc1155FillAmount
    );

    /// @notice Buyer (msg.sender) fills a seller's (maker's) ERC-721 sell order.
    function fillERC721SellOrder(
        address maker,
        address erc721Token,
        uint256 erc721TokenId,
        address erc20Token,
        uint256 erc20TokenAmount,
        Fee[] calldata fees,
        bytes32 orderHash,
        uint256 nonce
    ) external payable {
        IERC721(erc721Token).safeTransferFrom(maker, msg.sender, erc721TokenId);
        _pay(erc20Token, msg.sender, maker, erc20TokenAmount, fees);

        ERC721Filled memory e;
        e.orderHash = orderHash;
        e.maker = maker;
        e.taker = msg.sender;
        e.nonce = nonce;
        e.erc20Token = erc20Token;
        e.erc20TokenAmount = erc20TokenAmount;
        e.fees = fees;
        e.erc721Token = erc721Token;
        e.erc721TokenId = erc721TokenId;
        _emit721(true, e);
    }

    /// @notice Seller (msg.sender) fills a buyer's (maker's) ERC-721 buy order; the buyer pays in an ERC-20.
    function fillERC721BuyOrder(
        address maker,
        address erc721Token,
        uint256 erc721TokenId,
        address erc20Token,
        uint256 erc20TokenAmount,
        Fee[] calldata fees,
        bytes32 orderHash,
        uint256 nonce
    ) external {
        require(erc20Token != NATIVE_TOKEN, "Element: buy orders pay in an ERC-20");
        IERC721(erc721Token).safeTransferFrom(msg.sender, maker, erc721TokenId);
        _pay(erc20Token, maker, msg.sender, erc20TokenAmount, fees);

        ERC721Filled memory e;
        e.orderHash = orderHash;
        e.maker = maker;
        e.taker = msg.sender;
        e.nonce = nonce;
        e.erc20Token = erc20Token;
        e.erc20TokenAmount = erc20TokenAmount;
        e.fees = fees;
        e.erc721Token = erc721Token;
        e.erc721TokenId = erc721TokenId;
        _emit721(false, e);
    }

    /// @notice Buyer (msg.sender) fills `fill.erc1155FillAmount` units of a seller's (maker's)
    ///         ERC-1155 sell order.
    function fillERC1155SellOrder(ERC1155Fill calldata fill, Fee[] calldata fees) external payable {
        IERC1155(fill.erc1155Token).safeTransferFrom(
            fill.maker, msg.sender, fill.erc1155TokenId, fill.erc1155FillAmount, ""
        );
        _pay(fill.erc20Token, msg.sender, fill.maker, fill.erc20TokenAmount, fees);
        _emit1155(true, _filled1155(fill, fees, msg.sender));
    }

    /// @notice Seller (msg.sender) fills a buyer's (maker's) ERC-1155 buy order; the buyer pays in an ERC-20.
    function fillERC1155BuyOrder(ERC1155Fill calldata fill, Fee[] calldata fees) external {
        require(fill.erc20Token != NATIVE_TOKEN, "Element: buy orders pay in an ERC-20");
        IERC1155(fill.erc1155Token).safeTransferFrom(
            msg.sender, fill.maker, fill.erc1155TokenId, fill.erc1155FillAmount, ""
        );
        _pay(fill.erc20Token, fill.maker, msg.sender, fill.erc20TokenAmount, fees);
        _emit1155(false, _filled1155(fill, fees, msg.sender));
    }

    function _filled1155(ERC1155Fill calldata fill, Fee[] calldata fees, address taker)
        internal
        pure
        returns (ERC1155Filled memory e)
    {
        e.orderHash = fill.orderHash;
        e.maker = fill.maker;
        e.taker = taker;
        e.nonce = fill.nonce;
        e.erc20Token = fill.erc20Token;
        e.erc20TokenAmount = fill.erc20TokenAmount;
        e.fees = fees;
        e.erc1155Token = fill.erc1155Token;
        e.erc1155TokenId = fill.erc1155TokenId;
        e.erc1155FillAmount = fill.erc1155FillAmount;
    }

    /// @dev The values go through a memory struct because emitting nine or ten values straight
    ///      from the fill functions' parameters overflows the EVM stack without via-IR (which
    ///      makes solcjs several times slower).
    function _emit721(bool sellOrder, ERC721Filled memory e) internal {
        if (sellOrder) {
            emit ERC721SellOrderFilled(
                e.orderHash, e.maker, e.taker, e.nonce, e.erc20Token, e.erc20TokenAmount, e.fees, e.erc721Token, e.erc721TokenId
            );
        } else {
            emit ERC721BuyOrderFilled(
                e.orderHash, e.maker, e.taker, e.nonce, e.erc20Token, e.erc20TokenAmount, e.fees, e.erc721Token, e.erc721TokenId
            );
        }
    }

    function _emit1155(bool sellOrder, ERC1155Filled memory e) internal {
        if (sellOrder) {
            emit ERC1155SellOrderFilled(
                e.orderHash,
                e.maker,
                e.taker,
                e.nonce,
                e.erc20Token,
                e.erc20TokenAmount,
                e.fees,
                e.erc1155Token,
                e.erc1155TokenId,
                e.erc1155FillAmount
            );
        } else {
            emit ERC1155BuyOrderFilled(
                e.orderHash,
                e.maker,
                e.taker,
                e.nonce,
                e.erc20Token,
                e.erc20TokenAmount,
                e.fees,
                e.erc1155Token,
                e.erc1155TokenId,
                e.erc1155FillAmount
            );
        }
    }

    /// @dev Pays `payee` the amount minus the fees and each fee recipient its fee.
    ///      Native BNB comes from msg.value (which must equal `amount`); an ERC-20 is pulled
    ///      from `payer` with transferFrom (payer must have approved this contract).
    function _pay(address token, address payer, address payee, uint256 amount, Fee[] calldata fees) internal {
        uint256 totalFees = 0;
        for (uint256 i = 0; i < fees.length; i++) {
            totalFees += fees[i].amount;
        }
        require(totalFees <= amount, "Element: fees exceed amount");
        uint256 net = amount - totalFees;

        if (token == NATIVE_TOKEN) {
            require(msg.value == amount, "Element: msg.value must equal erc20TokenAmount");
            _sendNative(payee, net);
            for (uint256 i = 0; i < fees.length; i++) {
                _sendNative(fees[i].recipient, fees[i].amount);
            }
        } else {
            require(msg.value == 0, "Element: no native value with an ERC-20 payment");
            IERC20(token).safeTransferFrom(payer, payee, net);
            for (uint256 i = 0; i < fees.length; i++) {
                if (fees[i].amount != 0) {
                    IERC20(token).safeTransferFrom(payer, fees[i].recipient, fees[i].amount);
                }
            }
        }
    }

    function _sendNative(address to, uint256 value) internal {
        if (value == 0) {
            return;
        }
        (bool ok,) = payable(to).call{value: value}("");
        require(ok, "Element: native transfer failed");
    }
}
